import StarlingModel

/// One service's tasks per node, arranged in the scheduler's spread tree, and the search for the next move that
/// makes it more even (see `Rebalancer` for what "even" means). Counts are as they will be once the moves in flight
/// complete: a slot being moved counts on its new node.
struct Balance {
    typealias Ask = (_ node: String, _ upTo: Int) -> Int

    private let ids: [String]
    private let paths: [[String]]
    private let eligible: [Bool]
    private let taskCount: [Int]
    private let depth: Int
    /// Tasks of the service per node.
    private var count: [Int]
    /// Per node, the running tasks that may move, lowest slot first (the highest moves first).
    private var movable: [[SwarmTask]]
    /// Per node, how many more tasks it can take, once asked.
    private var room: [Int?]
    private let upTo: Int

    init(
        nodes: [Rebalancer.NodeFacts], census: SlotCensus, upTo: Int
    ) {
        let sorted = nodes.sorted { $0.id < $1.id }
        ids = sorted.map(\.id)
        paths = sorted.map(\.spreadPath)
        eligible = sorted.map(\.eligible)
        taskCount = sorted.map(\.taskCount)
        depth = sorted.map(\.spreadPath.count).min() ?? 0
        count = [Int](repeating: 0, count: sorted.count)
        movable = [[SwarmTask]](repeating: [], count: sorted.count)
        self.room = [Int?](repeating: nil, count: sorted.count)
        self.upTo = upTo
        let index = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        for task in census.settled.sorted(by: { ($0.slot ?? 0) < ($1.slot ?? 0) }) {
            guard let node = task.nodeID.flatMap({ index[$0] }) else { continue }
            count[node] += 1
            if eligible[node] { movable[node].append(task) }
        }
        for move in census.inFlight {
            if let node = move.new.nodeID.flatMap({ index[$0] }) { count[node] += 1 }
        }
    }

    /// The next move (the task to move and its target node) and counts it as made, or nil when the service is even.
    /// `ask(node, upTo)` is how many more tasks of the service a node can take, asked once per node at most.
    mutating func nextMove(ask: Ask) -> (task: SwarmTask, target: String)? {
        guard let (from, to) = findMove(Array(ids.indices), level: 0, ask), let task = movable[from].popLast() else {
            return nil
        }
        count[from] -= 1
        count[to] += 1
        room[to] = (room[to] ?? 1) - 1
        return (task, ids[to])
    }

    // MARK: - The tree

    /// The children of a group at `level`: the groups of the next spread value, or at the bottom the nodes one by
    /// one; none below the nodes.
    private func children(_ members: [Int], level: Int) -> [[Int]] {
        if level > depth { return [] }
        if level == depth { return members.map { [$0] } }
        let groups = Dictionary(grouping: members, by: { paths[$0][level] })
        return groups.keys.sorted().compactMap { groups[$0] }
    }

    private func total(_ group: [Int]) -> Int { group.reduce(0) { $0 + count[$1] } }

    /// Orders sibling groups by their tasks of the service; between single nodes with as many, the one with fewer
    /// tasks in all comes first, as the scheduler ranks them, then the node ID.
    private func rank(_ group: [Int]) -> (Int, Int, Int) {
        (total(group), group.count == 1 ? taskCount[group[0]] : 0, group.first ?? 0)
    }

    private func hasMovable(_ group: [Int]) -> Bool { group.contains { !movable[$0].isEmpty } }

    private mutating func hasRoom(_ node: Int, _ ask: Ask) -> Bool {
        guard eligible[node] else { return false }
        if let known = room[node] { return known > 0 }
        let answer = max(0, ask(ids[node], upTo))
        room[node] = answer
        return answer > 0
    }

    /// Whether some node of the group can take a task; asks about the emptiest nodes first, and none once one can.
    private mutating func groupHasRoom(_ group: [Int], _ ask: Ask) -> Bool {
        for node in group.sorted(by: { count[$0] < count[$1] }) where hasRoom(node, ask) { return true }
        return false
    }

    /// The highest-level pair of siblings whose counts differ by two or more, resolved to a source node (with a
    /// movable task) and a target node (with room).
    private mutating func findMove(_ members: [Int], level: Int, _ ask: Ask) -> (from: Int, to: Int)? {
        let groups = children(members, level: level)
        if groups.count >= 2, let donor = groups.filter(hasMovable).max(by: { rank($0) < rank($1) }) {
            // Only groups two or more tasks behind the donor can receive; usually there are none, so filter first.
            let donorTotal = total(donor)
            let behind = groups.filter { total($0) <= donorTotal - 2 }
            for receiver in behind.sorted(by: { rank($0) < rank($1) }) {
                if groupHasRoom(receiver, ask), let from = source(in: donor, level: level + 1),
                    let to = target(in: receiver, level: level + 1, ask)
                {
                    return (from, to)
                }
            }
        }
        // Single nodes have nothing inside to balance.
        guard level < depth else { return nil }
        for group in groups {
            if let move = findMove(group, level: level + 1, ask) { return move }
        }
        return nil
    }

    /// The node to move from: down the branch with the most tasks that has a movable one.
    private func source(in group: [Int], level: Int) -> Int? {
        if level > depth { return group.first { !movable[$0].isEmpty } }
        guard let branch = children(group, level: level).filter(hasMovable).max(by: { rank($0) < rank($1) }) else {
            return nil
        }
        return source(in: branch, level: level + 1)
    }

    /// The node to move to: down the branch with the fewest tasks that has room; between nodes, the one with the
    /// fewest tasks of the service, then the fewest tasks in all, as the scheduler ranks them.
    private mutating func target(in group: [Int], level: Int, _ ask: Ask) -> Int? {
        if level > depth { return group.first { hasRoom($0, ask) } }
        for branch in children(group, level: level).sorted(by: { rank($0) < rank($1) })
        where groupHasRoom(branch, ask) {
            return target(in: branch, level: level + 1, ask)
        }
        return nil
    }
}
