// QuillTokenizer
