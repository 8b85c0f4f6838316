import Foundation
import LiTSCore

/// `lits enhance`: one case's CT enhanced and written back on the source file's grid and affine
/// (float32 in [0, 1]).
public enum EnhancedVolumeFile {
    /// Writes `out` (.nii or .nii.gz). Refuses an input file as output, an output inside the
    /// dataset folder the case came from (`input`, when a folder) or named like a case (it would
    /// become a case of its folder), and an existing file unless `overwrite`.
    public static func write(_ c: Case, from input: String, method: EnhancementMethod, window: HUWindow,
                             options: EnhancementOptions, to out: String, overwrite: Bool, description: String) throws {
        let outPath = OutputFolder.resolved(out)
        for input in [c.volumePath, c.segmentationPath].compactMap({ $0 }) where OutputFolder.resolved(input) == outPath {
            throw LiTSError(.invalidArgument, path: out, "is an input file; choose another output")
        }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: input, isDirectory: &isDir), isDir.boolValue, OutputFolder.isInside(out, input) {
            throw LiTSError(.invalidArgument, path: out, "is inside the input dataset \(input); it would add a case to it: choose a file outside it")
        }
        let name = String(out.split(separator: "/").last ?? "")
        if Dataset.isCaseFileName(name) {
            throw LiTSError(.invalidArgument, path: out, "is named like a dataset case (volume-N, segmentation-N, liver_N); choose another name")
        }
        if FileManager.default.fileExists(atPath: out) && !overwrite {
            throw LiTSError(.notWritable, path: out, "exists; pass --overwrite to replace it")
        }
        let loaded = try CaseLoader.load(c, withLabels: false)
        try options.check(method, shape: loaded.ct.shape, path: c.volumePath)
        let enhanced = Enhancement.apply(method, to: loaded.ct, window: window, options: options)
        let onSource = loaded.reorientation.toSource(enhanced, sourceGrid: loaded.source.grid)
        try NIfTIWriter.write(onSource, to: out, description: description)
    }
}
