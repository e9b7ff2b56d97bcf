// QuillFormats
