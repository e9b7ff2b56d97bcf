// QuillModels
