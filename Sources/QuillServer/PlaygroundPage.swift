// The playground page (placeholder until the full page lands).
enum PlaygroundPage {
    static func html(model: String) -> String { "<!doctype html><title>Quill</title><p>\(model)</p>" }
}
