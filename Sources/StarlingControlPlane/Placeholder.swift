// StarlingControlPlane
