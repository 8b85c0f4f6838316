import Foundation

/// Field of view: a liver cut by the image border, slices thicker than 5 mm, a body wider than the image.
public enum QAFieldOfView {
    public static let check = "field of view"
    public static let maxSliceMM = 5.0

    public static func findings(_ f: QACaseFacts, calibrated: Bool) -> [QAFinding] {
        var out: [QAFinding] = []
        if !f.liverTouches.isEmpty {
            let craniocaudal = f.liverTouches.contains("superior") || f.liverTouches.contains("inferior")
            let evidence = craniocaudal ? QAEvidence(plane: .coronal, index: f.liverCentreJ ?? f.shape[1] / 2)
                                        : QAEvidence(plane: .axial, index: f.liverCentreSlice ?? f.bodyMiddleSlice)
            out.append(QAFinding(f.id, "\(check): liver cut", .warning, measured: "liver touches the " + f.liverTouches.joined(separator: ", ") + " border",
                                 expected: "liver inside the image",
                                 action: "Liver volume and extent are lower bounds: leave the case out of volume statistics and of per-third evaluation, or check the crop.",
                                 evidence: evidence))
        }
        if f.spacing[2] > maxSliceMM {
            out.append(QAFinding(f.id, "\(check): slice spacing", .note, measured: QAFormat.f(f.spacing[2], 2) + " mm",
                                 expected: "<= \(QAFormat.f(maxSliceMM, 0)) mm",
                                 action: "Lesions under 10 mm cover only one or two slices: report lesion detection for this case separately or resample with care."))
        }
        if calibrated, f.bodyCutLeftRight || f.bodyCutAnteriorPosterior {
            let sides = [f.bodyCutLeftRight ? "left-right" : nil, f.bodyCutAnteriorPosterior ? "anterior-posterior" : nil].compactMap { $0 }
            out.append(QAFinding(f.id, "\(check): body cut", .note, measured: "body reaches the \(sides.joined(separator: " and ")) border",
                                 expected: "body inside the image",
                                 action: "Body width or depth is a lower bound, so the spacing is judged only from what the image holds."))
        }
        return out
    }
}
