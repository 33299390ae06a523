"""Reading the text shown in a video's picture (OCR): which frames are read, the lines they make, the job."""
