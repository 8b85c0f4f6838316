import Foundation
import LiTSCore

/// A small, spacing-normalised picture of a scan for finding the same scan under another header,
/// crop, flip or axis order: the mean HU over cubes of `cellMM` mm (from the header's spacing) on
/// the canonical grid, rounded to whole HU. About 20x20x20 values for an abdominal CT.
public struct QAFingerprint: Codable, Equatable, Sendable {
    public static let cellMM = 16.0
    public var shape: [Int]
    public var values: [Int16]

    public init(shape: [Int], values: [Int16]) {
        self.shape = shape
        self.values = values
    }

    public init(_ ct: Volume<Float>) {
        let sp = ct.grid.spacing, s = ct.shape
        // Clamped in Double before Int(): a header may give any finite spacing, and Int() of a
        // value beyond Int's range traps (more cells than voxels would be empty anyway).
        let cells = (0..<3).map { max(1, Int(min(Double(s[$0]), (Double(s[$0]) * sp[$0] / QAFingerprint.cellMM).rounded(.up)))) }
        let maps = (0..<3).map { a in (0..<s[a]).map { Int(min(Double(cells[a] - 1), (Double($0) + 0.5) * sp[a] / QAFingerprint.cellMM)) } }
        var sums = [Double](repeating: 0, count: cells[0] * cells[1] * cells[2])
        var counts = [Int](repeating: 0, count: sums.count)
        ct.voxels.withUnsafeBufferPointer { v in
            var n = 0
            for k in 0..<s[2] {
                let ck = maps[2][k] * cells[0] * cells[1]
                for j in 0..<s[1] {
                    let cj = ck + maps[1][j] * cells[0]
                    for i in 0..<s[0] {
                        let c = cj + maps[0][i]
                        sums[c] += Double(max(-1024, min(2000, v[n])))
                        counts[c] += 1
                        n += 1
                    }
                }
            }
        }
        shape = cells
        values = zip(sums, counts).map { Int16(($0 / Double(max(1, $1))).rounded()) }
    }

    /// Mean value over the other two axes, along `axis`.
    func profile(_ axis: Int) -> [Double] {
        var p = [Double](repeating: 0, count: shape[axis])
        var n = 0
        for k in 0..<shape[2] { for j in 0..<shape[1] { for i in 0..<shape[0] {
            p[[i, j, k][axis]] += Double(values[n]); n += 1
        } } }
        let others = Double(values.count / shape[axis])
        return p.map { $0 / others }
    }
}

/// How two fingerprints match: the best pose (which axis of A lies along which of B, flips, shift
/// in cells) and the correlation of the HU inside the body on their overlap.
public struct QAMatch: Sendable {
    public var score: Double
    public var overlap: Double
    public var permutation: [Int]
    public var flips: [Bool]
}

public enum QAFingerprintMatch {
    /// Pearson correlation of two equally long sequences (nil when either is constant).
    static func correlation(_ a: ArraySlice<Double>, _ b: ArraySlice<Double>) -> Double? {
        let n = Double(a.count)
        guard n >= 2 else { return nil }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) { sab += (x - ma) * (y - mb); saa += (x - ma) * (x - ma); sbb += (y - mb) * (y - mb) }
        guard saa > 1e-9, sbb > 1e-9 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }

    /// Best shift of profile `a` (reversed when `flip`) along `b` with at least half the shorter one overlapping.
    static func align(_ a: [Double], _ b: [Double], flip: Bool) -> (score: Double, shift: Int) {
        let pa = flip ? Array(a.reversed()) : a
        let minOverlap = max(2, (min(pa.count, b.count) + 1) / 2)
        var best = (score: -1.0, shift: 0)
        // A profile shorter than the overlap (a volume one or two cells thin) cannot be aligned.
        guard minOverlap - pa.count <= b.count - minOverlap else { return best }
        for s in (-(pa.count - minOverlap))...(b.count - minOverlap) {
            let lo = max(0, -s), hi = min(pa.count, b.count - s)
            guard hi - lo >= minOverlap else { continue }
            if let r = correlation(pa[lo..<hi], b[(lo + s)..<(hi + s)]), r > best.score { best = (r, s) }
        }
        return best
    }

    /// A 3x3x3 mean over the cells inside the body (above -500 HU), so that two copies cut at
    /// different positions within a cell still correlate; cells outside the body are kept.
    static func blurred(_ f: QAFingerprint) -> [Int16] {
        let n = f.shape
        var out = f.values
        for k in 0..<n[2] { for j in 0..<n[1] { for i in 0..<n[0] {
            let c = i + n[0] * (j + n[1] * k)
            guard f.values[c] > -500 else { continue }
            var sum = 0, count = 0
            for dk in -1...1 { let kk = k + dk; guard kk >= 0, kk < n[2] else { continue }
                for dj in -1...1 { let jj = j + dj; guard jj >= 0, jj < n[1] else { continue }
                    for di in -1...1 { let ii = i + di; guard ii >= 0, ii < n[0] else { continue }
                        let v = f.values[ii + n[0] * (jj + n[1] * kk)]
                        if v > -500 { sum += Int(max(-300, min(400, v))); count += 1 }
                    } } }
            out[c] = Int16(sum / max(1, count))
        } } }
        return out
    }

    /// Matches below this correlation are not refined (they are far from a duplicate).
    static let refineFrom = 0.75

    static let permutations = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]

    /// The best match of `a` onto `b` over the 48 axis permutations and flips: poses proposed by
    /// aligning the 1D profiles, the best few verified by the 3D correlation inside the body.
    /// A fingerprint with what every comparison needs computed once.
    public struct Prepared: Sendable {
        var shape: [Int]
        /// Blurred HU clipped to [-300, 400] inside the body; outside it -1000.
        var values: [Float]
        var profiles: [[Double]]
        var bodyCells: Int

        public init(_ f: QAFingerprint) {
            shape = f.shape
            values = QAFingerprintMatch.blurred(f).map { $0 > -500 ? Float(max(-300, min(400, $0))) : -1000 }
            profiles = (0..<3).map { f.profile($0) }
            bodyCells = f.values.filter { $0 > -500 }.count
        }
    }

    public static func match(_ a: QAFingerprint, _ b: QAFingerprint) -> QAMatch? { match(Prepared(a), Prepared(b)) }

    public static func match(_ pa0: Prepared, _ pb0: Prepared, candidates: Int = 4) -> QAMatch? {
        let (a, b) = (pa0, pb0)
        let pa = pa0.profiles, pb = pb0.profiles
        let smaller = Double(max(1, min(pa0.bodyCells, pb0.bodyCells)))
        var aligned: [[[(score: Double, shift: Int)]]] = []  // [axis of a][axis of b][flip]
        for x in 0..<3 { aligned.append((0..<3).map { y in [false, true].map { align(pa[x], pb[y], flip: $0) } }) }
        var poses: [(score: Double, perm: [Int], flips: [Bool], shift: [Int])] = []
        for perm in permutations {
            for bits in 0..<8 {
                let flips = (0..<3).map { bits & (1 << $0) != 0 }
                let parts = (0..<3).map { aligned[$0][perm[$0]][flips[$0] ? 1 : 0] }
                poses.append((parts.map(\.score).reduce(0, +) / 3, perm, flips, parts.map(\.shift)))
            }
        }
        poses.sort { $0.score > $1.score }
        var best: QAMatch?
        var bestPose = poses[0]
        for pose in poses.prefix(candidates) {
            guard let (r, overlap) = correlate(a, b, perm: pose.perm, flips: pose.flips, shift: pose.shift, smaller: smaller) else { continue }
            if r > (best?.score ?? -2) { best = QAMatch(score: r, overlap: overlap, permutation: pose.perm, flips: pose.flips); bestPose = pose }
        }
        // Refine the best pose's shift one cell at a time along each axis, only when it is already close.
        guard let first = best, first.score >= refineFrom else { return best }
        var shift = bestPose.shift
        for _ in 0..<3 {
            var moved = false
            for axis in 0..<3 {
                for step in [-1, 1] {
                    var s = shift
                    s[axis] += step
                    guard let (r, overlap) = correlate(a, b, perm: bestPose.perm, flips: bestPose.flips, shift: s, smaller: smaller),
                          r > best!.score else { continue }
                    best = QAMatch(score: r, overlap: overlap, permutation: bestPose.perm, flips: bestPose.flips)
                    shift = s
                    moved = true
                }
            }
            if !moved { break }
        }
        return best
    }

    /// Correlation of HU clipped to [-300, 400] over the cells inside the body (above -500 HU) in
    /// both, and the overlap as a share of the smaller body. Nil when under half the smaller body overlaps.
    static func correlate(_ a: Prepared, _ b: Prepared, perm: [Int], flips: [Bool], shift: [Int], smaller: Double) -> (Double, Double)? {
        let (na, nb) = (a.shape, b.shape)
        let strideB = [1, nb[0], nb[0] * nb[1]]
        // For each axis of A: the offset into B of each cell position, or -1 outside B.
        let offsets: [[Int]] = (0..<3).map { ax in
            (0..<na[ax]).map { x in
                let c = (flips[ax] ? na[ax] - 1 - x : x) + shift[ax]
                return c < 0 || c >= nb[perm[ax]] ? -1 : c * strideB[perm[ax]]
            }
        }
        // Cells of A's rows that land inside B: one contiguous run, as the offsets are monotonic.
        let inRow = offsets[0].indices.filter { offsets[0][$0] >= 0 }
        var sx = 0.0, sy = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0, n = 0.0
        guard let iLo = inRow.first, let iLast = inRow.last else { return nil }
        a.values.withUnsafeBufferPointer { av in
            b.values.withUnsafeBufferPointer { bv in
                offsets[0].withUnsafeBufferPointer { oi in
                    for k in 0..<na[2] {
                        let ok = offsets[2][k]
                        guard ok >= 0 else { continue }
                        for j in 0..<na[1] {
                            let oj = offsets[1][j]
                            guard oj >= 0 else { continue }
                            let row = na[0] * (j + na[1] * k), o = oj + ok
                            // Eight cells at a time in Float (a row's sums stay far below 2^24),
                            // cells outside either body masked to zero; each row's sums then
                            // go into the Double totals.
                            var vx = SIMD8<Float>(), vy = SIMD8<Float>(), vxx = SIMD8<Float>(), vyy = SIMD8<Float>()
                            var vxy = SIMD8<Float>(), vn = SIMD8<Float>()
                            var i = iLo
                            while i <= iLast {
                                var p = SIMD8<Float>(repeating: -1000), q = SIMD8<Float>(repeating: -1000)
                                for l in 0..<min(8, iLast + 1 - i) { p[l] = av[row + i + l]; q[l] = bv[oi[i + l] + o] }
                                let inside = (p .> -500) .& (q .> -500)
                                p.replace(with: 0, where: .!inside)
                                q.replace(with: 0, where: .!inside)
                                vx += p; vy += q; vxx += p * p; vyy += q * q; vxy += p * q
                                vn.replace(with: vn + 1, where: inside)
                                i += 8
                            }
                            sx += Double(vx.sum()); sy += Double(vy.sum()); sxx += Double(vxx.sum())
                            syy += Double(vyy.sum()); sxy += Double(vxy.sum()); n += Double(vn.sum())
                        }
                    }
                }
            }
        }
        guard n >= max(8, 0.5 * smaller) else { return nil }
        let cov = sxy - sx * sy / n, va = sxx - sx * sx / n, vb = syy - sy * sy / n
        guard va > 1e-9, vb > 1e-9 else { return nil }
        return (cov / (va * vb).squareRoot(), n / smaller)
    }
}
