// QuillNN
