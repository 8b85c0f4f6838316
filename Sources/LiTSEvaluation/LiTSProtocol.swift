import Foundation

/// The lesion detection of the LiTS challenge's scoring program (`detect_lesions` in
/// `PatrickChrist/lits-challenge-scoring`, `program/helpers/calc_metric.py`), on component
/// numbers and overlap counts instead of voxels. Components are numbered as
/// `scipy.ndimage.label` numbers them on the nibabel array (see `LiTSLesionComponents`): the
/// numbers decide ties and one quirk below, so they must be the same.
///
/// The rule, as the official code runs it:
/// 1. Each reference lesion g that any prediction overlaps is owned by the prediction with the
///    largest intersection with it (the lowest-numbered one on a tie). The reference lesions
///    owned by one prediction are merged into one reference group, numbered by its lowest lesion
///    number, that counts as that many lesions when missed; an unowned lesion is its own group.
/// 2. Each prediction overlapping the reference is assigned to the group it intersects most (the
///    lowest-numbered group on a tie); the predictions of one group are merged.
/// 3. Groups with predictions are visited in the order of their lowest prediction number p. A
///    group is missed when intersection / union <= `minOverlap`, where, as in the official code,
///    the union is that of the group's reference voxels with the *detected-mask voxels labelled
///    p* (the detected mask carries group numbers, so this is the group's own predictions only
///    when p equals the group's number, and those of another group, or nothing, otherwise).
///    A missed group's predictions are removed from the detected mask.
/// 4. The number of detected lesions is the number of groups with predictions minus, for each
///    missed group, its number of lesions (so it can be negative: a merged pair that is missed
///    costs two where, detected, it earns one).
///
/// Differences, where the official program cannot run or silently wraps:
/// - A reference without lesions: `detect_lesions` returns five values there, which
///   `evaluate.py` cannot unpack, and the program stops. Here nothing is detected (0), so every
///   predicted lesion is a false positive and the case has no false negatives.
/// - The official detected mask is uint8, so reference lesion numbers above 255 wrap there; here
///   they do not (a case with more than 255 reference lesions may be scored differently).
public enum LiTSDetection {
    /// One merged reference group and the predictions assigned to it.
    public struct Group: Codable, Equatable, Sendable {
        /// The group's number: its lowest reference lesion number.
        public var id: Int
        public var references: [Int]
        public var predictions: [Int]
        /// Voxels of the predictions that lie in the group's reference lesions.
        public var intersection: Int
        /// The union as the official program computes it (see step 3).
        public var officialUnion: Int
        /// Voxels of the group's predictions and of its reference lesions (the true union is
        /// their sum minus the intersection).
        public var predictionVoxels: Int, referenceVoxels: Int
        public var detected: Bool
    }

    public struct Result: Codable, Equatable, Sendable {
        /// Can be negative (step 4).
        public var detected: Int
        /// Groups with at least one prediction, by group number.
        public var groups: [Group]
    }

    /// - Parameters:
    ///   - predictionSizes, referenceSizes: voxels per component, index = component number
    ///     (index 0 unused).
    ///   - intersections: for each prediction number, the reference numbers it overlaps and the
    ///     voxel counts.
    public static func detect(predictionSizes: [Int], referenceSizes: [Int], intersections: [Int: [Int: Int]],
                              minOverlap: Double) -> Result {
        let nr = referenceSizes.count - 1
        guard nr > 0 else { return Result(detected: 0, groups: []) }
        let predictions = intersections.keys.filter { !(intersections[$0]!.isEmpty) }.sorted()

        // 1. Owners and merged reference groups.
        var owner = [Int](repeating: 0, count: nr + 1), best = [Int](repeating: 0, count: nr + 1)
        for p in predictions {
            for (g, c) in intersections[p]! where c > best[g] { best[g] = c; owner[g] = p }
        }
        var groupOf = [Int](repeating: 0, count: nr + 1)
        var firstOwned: [Int: Int] = [:]  // owner -> lowest lesion it owns
        for g in 1...nr {
            if owner[g] == 0 { groupOf[g] = g; continue }
            if let first = firstOwned[owner[g]] { groupOf[g] = first } else { firstOwned[owner[g]] = g; groupOf[g] = g }
        }
        var members: [Int: [Int]] = [:]
        for g in 1...nr { members[groupOf[g], default: []].append(g) }
        let referenceVoxels = members.mapValues { $0.reduce(0) { $0 + referenceSizes[$1] } }

        // 2. Each prediction to the group it intersects most.
        func byGroup(_ p: Int) -> [Int: Int] {
            var j: [Int: Int] = [:]
            for (g, c) in intersections[p]! { j[groupOf[g], default: 0] += c }
            return j
        }
        var assigned: [Int: [Int]] = [:]
        var overlapWith: [Int: [Int: Int]] = [:]
        for p in predictions {
            let j = byGroup(p)
            overlapWith[p] = j
            var bestGroup = 0, bestCount = 0
            for (group, c) in j.sorted(by: { $0.key < $1.key }) where c > bestCount { bestGroup = group; bestCount = c }
            assigned[bestGroup, default: []].append(p)
        }

        // 3. Trimming, in the order of the groups' lowest prediction numbers.
        var removed = Set<Int>()
        var detected = assigned.count
        var groups: [Int: Group] = [:]
        for (group, preds) in assigned.sorted(by: { $0.value[0] < $1.value[0] }) {
            let intersection = preds.reduce(0) { $0 + overlapWith[$1]![group]! }
            let representative = preds[0]
            var union = referenceVoxels[group]!
            if let other = assigned[representative], !removed.contains(representative) {
                let size = other.reduce(0) { $0 + predictionSizes[$1] }
                let shared = other.reduce(0) { $0 + (overlapWith[$1]![group] ?? 0) }
                union += size - shared
            }
            let ok = Double(intersection) / Double(union) > minOverlap
            if !ok {
                removed.insert(group)
                detected -= members[group]!.count
            }
            groups[group] = Group(id: group, references: members[group]!, predictions: preds, intersection: intersection,
                                  officialUnion: union, predictionVoxels: preds.reduce(0) { $0 + predictionSizes[$1] },
                                  referenceVoxels: referenceVoxels[group]!, detected: ok)
        }
        return Result(detected: detected, groups: groups.keys.sorted().map { groups[$0]! })
    }
}
