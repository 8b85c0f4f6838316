import Foundation

/// A Slurm job array task (`sbatch --array=MIN-MAX[:STEP]`) as a shard. Slurm sets in every task
/// SLURM_ARRAY_TASK_ID (its index), SLURM_ARRAY_TASK_MIN and _MAX (the lowest and highest index),
/// _STEP (the step between indices) and _COUNT (the number of tasks); task ID is shard
/// (ID - MIN) / STEP + 1 of COUNT. An array that is not evenly stepped (`--array=1,2,7`) has no
/// such numbering, so it is refused: such a task must say `--shard i/n` itself.
public enum SlurmArray {
    public static let idVariable = "SLURM_ARRAY_TASK_ID"
    public static let countVariable = "SLURM_ARRAY_TASK_COUNT"
    public static let minVariable = "SLURM_ARRAY_TASK_MIN"
    public static let maxVariable = "SLURM_ARRAY_TASK_MAX"
    public static let stepVariable = "SLURM_ARRAY_TASK_STEP"

    /// This task's shard; nil outside a job array (no SLURM_ARRAY_TASK_ID). Variables that are
    /// missing, not whole numbers or inconsistent are an error naming the variable.
    public static func shard(in environment: [String: String]) throws -> JobShard? {
        guard environment[idVariable] != nil else { return nil }
        func value(_ name: String) throws -> Int {
            guard let text = environment[name] else {
                throw problem("\(name) is not set, though \(idVariable) is")
            }
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw problem("\(name)='\(text)' is not a whole number")
            }
            return n
        }
        let id = try value(idVariable), count = try value(countVariable)
        let low = try value(minVariable), high = try value(maxVariable), step = try value(stepVariable)
        guard step >= 1 else { throw problem("\(stepVariable)=\(step) must be at least 1") }
        guard low >= 0, low <= high else { throw problem("\(minVariable)=\(low) and \(maxVariable)=\(high) are not an index range") }
        guard (low...high).contains(id), (id - low) % step == 0 else {
            throw problem("\(idVariable)=\(id) is not an index of the array \(low)-\(high):\(step)")
        }
        let stepped = (high - low) / step + 1
        guard (high - low) % step == 0, count == stepped else {
            throw problem("\(countVariable)=\(count) does not match the array \(low)-\(high):\(step) (\(stepped) evenly stepped task(s))")
        }
        return JobShard(index: (id - low) / step + 1, count: count)
    }

    static func problem(_ what: String) -> LiTSError {
        LiTSError(.invalidArgument, path: nil, "Slurm job array: \(what); give --shard i/n (or --shard none for every case)")
    }
}
