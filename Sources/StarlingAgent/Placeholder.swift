// StarlingAgent
