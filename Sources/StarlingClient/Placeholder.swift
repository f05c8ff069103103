// StarlingClient
