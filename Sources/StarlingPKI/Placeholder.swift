// StarlingPKI
