// StarlingManager
