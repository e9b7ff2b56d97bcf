// Draws the loss curve as a small standalone SVG (train loss as a line, validation as dots),
// so every checkpoint folder shows how the run went without any plotting library.
import Foundation

public enum LossCurve {
    public static func svg(train: [LossPoint], validation: [LossPoint], width: Double = 640, height: Double = 360) -> String {
        let all = train + validation
        let maxStep = Double(max(1, all.map(\.step).max() ?? 1))
        let losses = all.map { Double($0.loss) }.filter { $0.isFinite }
        let lo = max(0, (losses.min() ?? 0) - 0.05), hi = (losses.max() ?? 1) + 0.05
        let (left, right, top, bottom) = (56.0, 16.0, 16.0, 40.0)
        func x(_ s: Int) -> Double { left + Double(s) / maxStep * (width - left - right) }
        func y(_ l: Float) -> Double {
            let v = Double(l).isFinite ? Double(l) : hi
            return top + (hi - v) / max(1e-9, hi - lo) * (height - top - bottom)
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        for i in 0...4 {
            let v = lo + (hi - lo) * Double(i) / 4
            let yy = top + (hi - v) / max(1e-9, hi - lo) * (height - top - bottom)
            s += "<line x1=\"\(left)\" x2=\"\(width - right)\" y1=\"\(yy)\" y2=\"\(yy)\" stroke=\"#ddd\"/>"
            s += "<text x=\"\(left - 6)\" y=\"\(yy + 4)\" text-anchor=\"end\">\(String(format: "%.2f", v))</text>\n"
        }
        s += "<text x=\"\((left + width - right) / 2)\" y=\"\(height - 8)\" text-anchor=\"middle\">step (max \(Int(maxStep)))</text>\n"
        if !train.isEmpty {
            let points = train.map { String(format: "%.1f,%.1f", x($0.step), y($0.loss)) }.joined(separator: " ")
            s += "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"1.2\" points=\"\(points)\"/>\n"
        }
        for p in validation {
            s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#d62728\"/>", x(p.step), y(p.loss))
        }
        s += "\n<text x=\"\(width - right)\" y=\"\(top + 10)\" text-anchor=\"end\"><tspan fill=\"#1f77b4\">train</tspan> <tspan fill=\"#d62728\">● validation</tspan></text>\n</svg>\n"
        return s
    }

    public static func writeSVG(train: [LossPoint], validation: [LossPoint], to url: URL) throws {
        try Data(svg(train: train, validation: validation).utf8).write(to: url, options: .atomic)
    }
}
