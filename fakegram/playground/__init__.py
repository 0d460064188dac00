"""The playground (`make demo`): two phones in a browser talking to the real bot through the
fake Bot API, with time travel. `python -m fakegram.playground` starts it all."""
