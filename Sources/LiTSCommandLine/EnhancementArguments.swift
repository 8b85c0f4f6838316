import ArgumentParser
import Foundation
import LiTSImaging

/// Options shared by the commands that enhance contrast.
public struct EnhancementArguments: ParsableArguments {
    public init() {}

    @Option(help: "Bins of the histogram equalizations, 2 to \(EnhancementOptions.maxBins) (the baseline used 32).")
    public var bins = 256

    @Option(help: "CLAHE kernel size in pixels, R or RxC, at most the axial slice (default: 1/8 of the slice, as scikit-image).")
    public var claheKernel: KernelSize?

    @Option(help: "CLAHE clip limit (scikit-image's clip_limit).")
    public var claheClip = 0.01

    @Option(help: "CLAHE histogram bins, 2 to \(EnhancementOptions.maxClaheBins) (its grey levels).")
    public var claheBins = 256

    /// The largest side a NIfTI-1 header can give a slice (its dimensions are 16-bit).
    public static let maxKernel = Int(Int16.max)

    public func validate() throws {
        guard bins >= 2, bins <= EnhancementOptions.maxBins else {
            throw ValidationError("--bins must be in 2...\(EnhancementOptions.maxBins)")
        }
        guard claheBins >= 2, claheBins <= EnhancementOptions.maxClaheBins else {
            throw ValidationError("--clahe-bins must be in 2...\(EnhancementOptions.maxClaheBins) (CLAHE's grey levels)")
        }
        if let k = claheKernel?.values, k.contains(where: { $0 > EnhancementArguments.maxKernel }) {
            throw ValidationError("--clahe-kernel must be at most \(EnhancementArguments.maxKernel) per side (and at most the axial slice)")
        }
        guard claheClip > 0, claheClip <= 1 else { throw ValidationError("--clahe-clip must be in (0, 1]") }
    }

    public var options: EnhancementOptions {
        var o = EnhancementOptions()
        o.bins = bins
        o.claheKernel = claheKernel?.values
        o.claheClipLimit = claheClip
        o.claheBins = claheBins
        return o
    }
}
