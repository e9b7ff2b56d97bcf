// QuillTensor
