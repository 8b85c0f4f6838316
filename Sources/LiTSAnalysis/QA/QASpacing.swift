import Foundation

/// Implausible spacing: the body's width and depth, the liver's volume and its craniocaudal extent
/// in mm against adult ranges; the finding names the header value most likely wrong and the factor.
public enum QASpacing {
    public static let check = "spacing"
    /// Adult abdomen: width (left-right) and depth (anterior-posterior) in mm, typical values and the
    /// ranges outside which a warning (`plausible`) or an error (`possible`, 1.5x further) is given.
    public static let typicalWidthMM = 330.0, plausibleWidthMM = 200.0...500.0, possibleWidthMM = 133.0...750.0
    public static let typicalDepthMM = 250.0, plausibleDepthMM = 150.0...400.0, possibleDepthMM = 100.0...600.0
    public static let typicalLiverL = 1.6, plausibleLiverL = 0.8...3.5, possibleLiverL = 0.4...7.0
    public static let typicalLiverExtentMM = 170.0, plausibleLiverExtentMM = 100.0...250.0, possibleLiverExtentMM = 50.0...400.0

    static func range(_ r: ClosedRange<Double>, _ unit: String, digits: Int = 0) -> String {
        "\(QAFormat.f(r.lowerBound, digits))-\(QAFormat.f(r.upperBound, digits)) \(unit)"
    }

    /// Severity of `x` against a plausible and a possible range, judging only the sides asked for.
    static func severity(_ x: Double, plausible: ClosedRange<Double>, possible: ClosedRange<Double>, judgeLow: Bool) -> QASeverity? {
        if x > plausible.upperBound { return x > possible.upperBound ? .error : .warning }
        if x < plausible.lowerBound && judgeLow { return x < possible.lowerBound ? .error : .warning }
        return nil
    }

    public static func findings(_ f: QACaseFacts, calibrated: Bool) -> [QAFinding] {
        var out: [QAFinding] = []
        let axial = QAEvidence(plane: .axial, index: f.liverCentreSlice ?? f.bodyMiddleSlice, window: [-1000, 400])
        let axes = ["x (left-right)", "y (anterior-posterior)", "z (slice)"]
        func blame(_ axis: Int, factor: Double) -> String {
            let now = f.spacing[axis]
            // An image resized from the usual 512 pixels without updating its header: the exact factor.
            let n = f.shape[axis], resized = 512.0 / Double(n)
            if axis < 2, n < 512, factor > 1.5, resized / factor > 0.6, resized / factor < 1.6 {
                return "the header's \(axes[axis]) spacing \(QAFormat.f(now, 3)) mm is most likely wrong by a factor of \(QAFormat.f(resized, 1)) (\(QAFormat.f(now * resized, 2)) mm): a 512-pixel scan resized to \(n) without updating the header (the typical size alone gives \(QAFormat.f(factor, 1)))"
            }
            return "the header's \(axes[axis]) spacing \(QAFormat.f(now, 3)) mm is most likely wrong by a factor of about \(QAFormat.f(factor, 1)) (about \(QAFormat.f(now * factor, 2)) mm)"
        }
        if calibrated, let w = f.bodyWidthMM,
           let s = severity(w, plausible: plausibleWidthMM, possible: possibleWidthMM, judgeLow: !f.bodyCutLeftRight) {
            out.append(QAFinding(f.id, "\(check): body width", s, measured: QAFormat.mm(w),
                                 expected: range(plausibleWidthMM, "mm") + " (adult abdomen, typical \(Int(typicalWidthMM)))",
                                 action: "Check the voxel size: \(blame(0, factor: typicalWidthMM / w)); fix the header or drop the case.", evidence: axial))
        }
        if calibrated, let d = f.bodyDepthMM,
           let s = severity(d, plausible: plausibleDepthMM, possible: possibleDepthMM, judgeLow: !f.bodyCutAnteriorPosterior) {
            out.append(QAFinding(f.id, "\(check): body depth", s, measured: QAFormat.mm(d),
                                 expected: range(plausibleDepthMM, "mm") + " (adult abdomen, typical \(Int(typicalDepthMM)))",
                                 action: "Check the voxel size: \(blame(1, factor: typicalDepthMM / d)); fix the header or drop the case.", evidence: axial))
        }
        guard f.liverVoxels > 0 else { return out }
        let coronal = QAEvidence(plane: .coronal, index: f.liverCentreJ ?? f.shape[1] / 2)
        let litres = f.liverML / 1000
        let cut = !f.liverTouches.isEmpty
        if let s = severity(litres, plausible: plausibleLiverL, possible: possibleLiverL, judgeLow: !cut) {
            let factor = typicalLiverL / litres
            let perAxis = pow(factor, 1.0 / 3), inPlane = factor.squareRoot()
            out.append(QAFinding(f.id, "\(check): liver volume", s, measured: QAFormat.f(litres, 2) + " L",
                                 expected: range(plausibleLiverL, "L", digits: 1) + " (adult liver, typical \(typicalLiverL))",
                                 action: "The voxel volume (\(QAFormat.spacing(f.spacing)) mm) looks \(factor > 1 ? "too small" : "too large") by about \(QAFormat.f(max(factor, 1 / factor), 1))x: every spacing wrong by \(QAFormat.f(perAxis, 2))x, or the in-plane ones by \(QAFormat.f(inPlane, 2))x; check the header (or the label, if it covers only part of the liver).",
                                 evidence: coronal))
        } else if cut, litres < plausibleLiverL.lowerBound {
            out.append(QAFinding(f.id, "\(check): liver volume", .note, measured: QAFormat.f(litres, 2) + " L (liver cut by the border: a lower bound)",
                                 expected: range(plausibleLiverL, "L", digits: 1),
                                 action: "Not judged: the field of view cuts the liver; if the whole liver is in view, the spacing is too small.", evidence: coronal))
        }
        if let e = f.liverExtentMM,
           let s = severity(e, plausible: plausibleLiverExtentMM, possible: possibleLiverExtentMM,
                            judgeLow: !f.liverTouches.contains("superior") && !f.liverTouches.contains("inferior")) {
            out.append(QAFinding(f.id, "\(check): liver extent", s, measured: QAFormat.mm(e) + " craniocaudal",
                                 expected: range(plausibleLiverExtentMM, "mm") + " (typical \(Int(typicalLiverExtentMM)))",
                                 action: "Check the slice spacing: \(blame(2, factor: typicalLiverExtentMM / e)), or the label covers only part of the liver.",
                                 evidence: coronal))
        }
        return out
    }
}
