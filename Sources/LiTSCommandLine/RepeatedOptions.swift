import ArgumentParser
import Foundation

/// ArgumentParser keeps the last value of an option given twice (`predict --run A --run B` used B
/// alone, with exit 0). An option that takes one value and appears more than once is refused
/// before anything runs; options declared repeatable (`--window`, `--mask`, ...) are left alone.
public enum RepeatedOptions {
    /// The part of `--experimental-dump-help`'s description this check reads.
    struct Command: Decodable {
        var commandName: String
        var arguments: [Argument]?
        var subcommands: [Command]?
        var defaultSubcommand: String?
    }

    struct Argument: Decodable {
        struct Name: Decodable { var kind: String; var name: String }
        var kind: String
        var names: [Name]?
        var isRepeating: Bool?

        /// How the option is spelled on a command line: `--out`, `-o`.
        var spellings: [String] { (names ?? []).map { $0.kind == "short" ? "-\($0.name)" : "--\($0.name)" } }
    }

    /// One line naming the option and its values when a one-value option is given twice, else nil.
    static func problem(in arguments: [String], root: Command) -> String? {
        let tokens = Array(arguments.prefix { $0 != "--" })
        // The command the tokens name: leading subcommand names, then the default subcommand.
        var command = root, rest = tokens[...]
        while true {
            if let next = rest.first, let sub = command.subcommands?.first(where: { $0.commandName == next }) {
                command = sub
                rest = rest.dropFirst()
            } else if let name = command.defaultSubcommand, let sub = command.subcommands?.first(where: { $0.commandName == name }) {
                command = sub
            } else { break }
        }
        for option in command.arguments ?? [] where option.kind == "option" && option.isRepeating != true {
            let spellings = option.spellings
            var values: [String] = []
            for (n, token) in rest.enumerated() {
                if spellings.contains(token) {
                    values.append(n + 1 < rest.count ? rest[rest.startIndex + n + 1] : "")
                } else if let eq = token.firstIndex(of: "="), spellings.contains(String(token[..<eq])) {
                    values.append(String(token[token.index(after: eq)...]))
                }
            }
            if values.count > 1, let name = spellings.first {
                return "\(name) is given \(values.count) times (\(values.joined(separator: ", "))); it takes one value, and all but the last would be ignored"
            }
        }
        return nil
    }

    /// Refuses a repeated one-value option (exit 64, as ArgumentParser's usage errors).
    /// `description` is the root command's `_dumpHelp()`.
    public static func check(_ arguments: [String], description: () -> String) {
        // Only a command line with two options can repeat one (`-o` and `--out` are one option,
        // so the description is needed to tell; reading it costs a few milliseconds).
        guard arguments.prefix(while: { $0 != "--" }).filter({ $0.hasPrefix("-") }).count > 1,
              let root = try? JSONDecoder().decode(DumpHelp.self, from: Data(description().utf8)).command,
              let message = problem(in: arguments, root: root) else { return }
        printError(message)
        exit(64)
    }

    struct DumpHelp: Decodable { var command: Command }
}
