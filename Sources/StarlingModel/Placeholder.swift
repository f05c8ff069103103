// StarlingModel
