"""What is said, read from files: subtitle text and markup, sidecar files, audio windows, transcription."""
