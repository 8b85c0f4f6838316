import ArgumentParser
import Foundation
import LiTSImaging

/// Options shared by the commands that enhance contrast.
struct EnhancementArguments: ParsableArguments {
    @Option(help: "Bins of the histogram equalizations (the baseline used 32).")
    var bins = 256

    @Option(help: "CLAHE kernel size in pixels, R or RxC (default: 1/8 of the slice, as scikit-image).")
    var claheKernel: KernelSize?

    @Option(help: "CLAHE clip limit (scikit-image's clip_limit).")
    var claheClip = 0.01

    @Option(help: "CLAHE histogram bins.")
    var claheBins = 256

    func validate() throws {
        guard bins >= 2 else { throw ValidationError("--bins must be at least 2") }
        guard claheBins >= 2 else { throw ValidationError("--clahe-bins must be at least 2") }
        guard claheClip > 0, claheClip <= 1 else { throw ValidationError("--clahe-clip must be in (0, 1]") }
    }

    var options: EnhancementOptions {
        var o = EnhancementOptions()
        o.bins = bins
        o.claheKernel = claheKernel?.values
        o.claheClipLimit = claheClip
        o.claheBins = claheBins
        return o
    }
}
