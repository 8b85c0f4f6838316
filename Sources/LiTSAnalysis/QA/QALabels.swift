import Foundation

/// Image and label disagree (another affine, labels outside the body or over air and bone), and
/// label anatomy (tumour outside the liver, liver fragments, liver on the patient's left, lesion
/// components of one or two voxels).
public enum QALabels {
    public static let agreement = "image-label"
    public static let anatomy = "label anatomy"
    /// Share of labelled voxels outside the body: warning above, error above.
    public static let outsideWarning = 0.01, outsideError = 0.10
    /// Share of liver voxels at HU < -200 or > 500: warning above, error above.
    public static let offTissueWarning = 0.05, offTissueError = 0.20
    /// Liver centroid this far (mm) to the patient's left of the body's centre: warning.
    public static let leftSideMM = 15.0
    /// Isolated tumour: an error from this volume (mL) or share of the tumour on.
    public static let isolatedErrorML = 0.5, isolatedErrorShare = 0.05
    /// Liver fragments under this share of the liver are a note, above a warning.
    public static let fragmentWarningShare = 0.01

    /// Bone (spine, ribs) this far (mm) anterior of the body's centre: the anterior-posterior axis is flipped.
    public static let boneAnteriorMM = 15.0

    public static func findings(_ f: QACaseFacts, calibrated: Bool) -> [QAFinding] {
        var out: [QAFinding] = []
        let id = f.id
        if calibrated, let body = f.bodyCentreJ, let bone = f.boneCentreJ, (bone - body) * f.spacing[1] > boneAnteriorMM {
            out.append(QAFinding(id, "orientation: spine anterior", .warning,
                                 measured: "bone centre \(QAFormat.mm((bone - body) * f.spacing[1])) anterior of the body's centre (header \(f.fileOrientation))",
                                 expected: "spine and ribs posterior of the centre",
                                 action: "The header's anterior-posterior axis is most likely flipped: fix the affine (image and label) before training.",
                                 evidence: QAEvidence(plane: .axial, index: f.liverCentreSlice ?? f.bodyMiddleSlice, window: [-160, 240])))
        }
        if let problem = f.gridProblem {
            out.append(QAFinding(id, "\(agreement): affine", .error, measured: problem, expected: "the label's affine equal to the image's (1e-3 tolerance)",
                                 action: "Find out which header is right and rewrite the other; training pairs the arrays voxel by voxel, evaluation in world space disagrees."))
        }
        guard f.hasLabels else { return out }
        guard f.liverVoxels > 0 else {
            out.append(QAFinding(id, "\(anatomy): empty", .error, measured: "no voxel with label 1 or 2", expected: "a liver label",
                                 action: "Drop the case from training, or supply its segmentation."))
            return out
        }
        let centre = f.liverCentreSlice ?? f.bodyMiddleSlice
        let window: [Float] = calibrated ? [-1000, 400] : [24, 1424]
        if calibrated, let share = f.labelOutsideBody {
            let s: QASeverity? = share > outsideError ? .error : share > outsideWarning ? .warning : nil
            if let s {
                out.append(QAFinding(id, "\(agreement): outside body", s, measured: QAFormat.pct(share) + " of labelled voxels outside the body",
                                     expected: "<= \(QAFormat.pct(outsideWarning))",
                                     action: "The label is shifted or flipped against its image (or belongs to another scan): compare them slice by slice and fix or drop the case.",
                                     evidence: QAEvidence(plane: .axial, index: f.labelOutsideBodySlice ?? centre, window: window)))
            }
        }
        if calibrated, let share = f.liverOffTissue {
            let s: QASeverity? = share > offTissueError ? .error : share > offTissueWarning ? .warning : nil
            if let s {
                out.append(QAFinding(id, "\(agreement): HU under label", s, measured: QAFormat.pct(share) + " of liver voxels at HU < -200 or > 500 (air, lung, bone)",
                                     expected: "<= \(QAFormat.pct(offTissueWarning))",
                                     action: "The liver label lies over air or bone: it is shifted or flipped against its image; fix the label's orientation or drop the case.",
                                     evidence: QAEvidence(plane: .axial, index: centre, window: window)))
            }
        }
        if f.isolatedTumorComponents > 0 {
            let ml = Double(f.isolatedTumorVoxels) * f.spacing.reduce(1, *) / 1000
            let share = Double(f.isolatedTumorVoxels) / Double(max(1, f.tumorVoxels))
            let s: QASeverity = ml >= isolatedErrorML || share >= isolatedErrorShare ? .error : .warning
            out.append(QAFinding(id, "\(anatomy): tumour outside liver", s,
                                 measured: "\(f.isolatedTumorComponents) tumour component(s), \(f.isolatedTumorVoxels) voxels (\(QAFormat.f(ml, 2)) mL, \(QAFormat.pct(share)) of tumour) touching no liver voxel",
                                 expected: "every tumour component inside or touching the liver",
                                 action: s == .error ? "Tumour labelled outside the liver: relabel it (another organ's lesion, or a misplaced label) before training."
                                                     : "Small tumour fragments away from the liver: remove them or check whether they are real.",
                                 evidence: QAEvidence(plane: .axial, index: f.isolatedTumorSlice ?? centre)))
        }
        if !f.liverFragmentsML.isEmpty {
            let total = f.liverFragmentsML.reduce(0, +)
            let share = total / max(1e-9, f.liverML)
            let sizes = f.liverFragmentsML.prefix(5).map { QAFormat.f($0, $0 < 1 ? 3 : 1) }.joined(separator: ", ")
            out.append(QAFinding(id, "\(anatomy): liver fragments", share > fragmentWarningShare ? .warning : .note,
                                 measured: "\(f.liverFragmentsML.count + 1) components; fragments \(sizes)\(f.liverFragmentsML.count > 5 ? ", ..." : "") mL (\(QAFormat.pct(share)) of the liver)",
                                 expected: "one component (26-connected)",
                                 action: share > fragmentWarningShare ? "A large separate piece: check it is liver (not spleen or another organ) before training."
                                                                       : "Small label fragments: keep the largest component, or leave them if they are real.",
                                 evidence: QAEvidence(plane: .axial, index: f.liverFragmentSlice ?? centre)))
        }
        if let c = f.liverCentroid, let b = f.bodyCentreI {
            // Canonical RAS+: +i towards the patient's right, so a negative offset is the patient's left.
            let offset = (c[0] - b) * f.spacing[0]
            if offset < -leftSideMM {
                out.append(QAFinding(id, "\(anatomy): liver on the left", .warning,
                                     measured: "liver centre \(QAFormat.mm(-offset)) to the patient's left of the body's centre (header \(f.fileOrientation))",
                                     expected: "on the patient's right",
                                     action: "Situs inversus is rare: the header's left-right axis is most likely flipped; fix the affine (image and label) or confirm the anatomy.",
                                     evidence: QAEvidence(plane: .axial, index: centre)))
            }
        }
        if f.tinyLesions > 0 {
            out.append(QAFinding(id, "\(anatomy): tiny lesions", .note,
                                 measured: "\(f.tinyLesions) of \(f.lesions) lesion components have 1 or 2 voxels",
                                 expected: "lesions of 3 voxels or more",
                                 action: "Likely label noise: remove them before counting lesions, or check them on the image."))
        }
        return out
    }
}
