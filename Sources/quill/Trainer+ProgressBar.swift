// The training progress line shared by `quill train` and `quill finetune`: a bar with loss, learning
// rate, tokens/s and ETA after every step, and the held-out loss on its own line at each evaluation.
import Foundation
import QuillTraining

extension Trainer {
    /// Runs to the end with the progress bar; `heldOut` names the evaluation loss ("val", "held-out").
    func runShowingProgress(heldOut: String) throws {
        var bar = ProgressBar(total: config.maxSteps)
        try run { p in
            let detail = String(format: "loss %.4f  lr %.2e  %.0f tok/s  ETA %@", p.loss, p.learningRate,
                                p.tokensPerSecond, ProgressBar.duration(p.etaSeconds))
            bar.update(p.step, detail, force: p.validationLoss != nil)
            if let v = p.validationLoss {
                FileHandle.standardError.write(Data(String(format: "\nstep %d: %@ loss %.4f\n", p.step, heldOut, v).utf8))
            }
        }
    }
}
