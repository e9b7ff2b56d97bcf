// Adapters between safetensors entries and Quill tensors: load any float dtype into f32,
// and describe a tensor for the writer in f32, f16 or bf16.
import QuillTensor

extension Tensor {
    /// A float32 copy of a safetensors entry (F32/F16/BF16/F64 converted).
    public convenience init(safetensors entry: SafetensorsTensor) throws {
        let values = try entry.floats()
        self.init(shape: entry.shape.isEmpty ? [1] : entry.shape, scalars: values, name: entry.name)
    }

    /// Copies the values of `entry` into this tensor, checking the element count.
    public func load(from entry: SafetensorsTensor) throws {
        let values = try entry.floats()
        guard values.count == count else {
            throw SafetensorsError(file: entry.fileName, tensor: entry.name,
                                   .invalidShape("holds \(values.count) values, the model expects shape \(shape)"))
        }
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    /// A writer entry for this tensor stored as `dtype` (F32, F16 or BF16).
    public func safetensorsEntry(name: String, dtype: SafetensorsDType = .f32) -> SafetensorsWriter.Entry {
        SafetensorsWriter.Entry(name: name, shape: shape, floats: scalars, dtype: dtype)
    }
}
