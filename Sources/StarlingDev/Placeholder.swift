// StarlingDev
