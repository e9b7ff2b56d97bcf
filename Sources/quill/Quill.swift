// The `quill` command: wiring only. Each subcommand lives in its own file and calls the library.
import ArgumentParser

@main
struct Quill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quill",
        abstract: "Train, run and inspect GPT-style language models, in Swift.",
        discussion: """
        Examples:
          quill generate --prompt "ROMEO:" --max-tokens 200
          quill chat --model smollm2 --system "You are a helpful assistant." --system-date
          quill data prepare --input .assets/shakespeare --output data/shakespeare
          quill train --config Models/shakespeare-gpt/train.yaml --output runs/shakespeare
          quill tokenize --tokenizer gpt2 --count --price-per-million 5.00 "Hello, world"
          quill inspect Models/shakespeare-gpt
          quill convert Tests/QuillModelsTests/Fixtures/llama_tiny llama_tiny.gguf --type q8_0
          quill embed --model .assets/all-MiniLM-L6-v2 "A man is eating food."
          quill rag index --db notes.sqlite --embedding-model .assets/all-MiniLM-L6-v2 docs/*.md
          quill serve --model Models/shakespeare-gpt --port 8080
          quill vision train --data .assets/fashion-mnist --epochs 2 --out runs/fashion-cnn
        """,
        subcommands: [GenerateCommand.self, ChatCommand.self, DataCommand.self, TrainCommand.self, FinetuneCommand.self, BenchCommand.self,
                       TokenizeCommand.self, TokenizerCommand.self, InspectCommand.self,
                       EmbedCommand.self, RAGCommand.self, ConvertCommand.self, QuantizeCommand.self, ServeCommand.self,
                       FeedbackCommand.self, VisionCommand.self])
}
