import Foundation

/// How the learning rate changes over a run (`lits train --lr-schedule`).
public enum LRSchedule: String, Codable, CaseIterable, Sendable {
    /// The baseline's ReduceLROnPlateau on the validation score (`--lr-factor`, `--lr-patience`).
    case plateau
    /// nnU-Net's polynomial decay, set at the start of every epoch from the epoch alone; it needs
    /// no validation signal, so the last checkpoint is the one to use when training and
    /// validation are the same case.
    case poly
}

/// nnU-Net's PolyLRScheduler: lr = initial * (1 - (epoch - 1) / epochs)^0.9 for epochs 1...epochs,
/// so the first epoch trains at the initial rate and the last at initial * (1 / epochs)^0.9.
public enum PolyLearningRate {
    public static let exponent = 0.9

    public static func rate(initial: Float, epoch: Int, of epochs: Int) -> Float {
        precondition(epochs >= 1 && (1...epochs).contains(epoch), "epoch \(epoch) of \(epochs)")
        return Float(Double(initial) * pow(1 - Double(epoch - 1) / Double(epochs), exponent))
    }
}
