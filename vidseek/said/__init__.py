"""What is said: cues' bounds and sources, their text vectors, lexical queries, speech specs and transcribers."""
