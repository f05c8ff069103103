// StarlingCLI
