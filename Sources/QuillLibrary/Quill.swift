// `import Quill`: every layer of the stack in one module, for Swift users (the layers stay separate
// targets, as ARCHITECTURE.md orders them), and `QuillModel`, the concurrency-safe way to run a model.
@_exported import QuillTensor
@_exported import QuillNN
@_exported import QuillTokenizer
@_exported import QuillFormats
@_exported import QuillModels
@_exported import QuillGeneration
@_exported import QuillTraining
@_exported import QuillAssistant
@_exported import QuillServer
