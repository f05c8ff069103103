// StarlingDaemon
