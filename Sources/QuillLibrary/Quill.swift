@_exported import QuillGeneration
