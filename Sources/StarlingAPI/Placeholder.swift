// StarlingAPI
