// QuillGeneration
