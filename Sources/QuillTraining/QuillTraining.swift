// QuillTraining
