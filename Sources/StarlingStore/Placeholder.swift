// StarlingStore
