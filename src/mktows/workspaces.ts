/**
 * MktowsContextHeader/targetWorkspace → the partition of the call's new leads.
 *
 * Workspace names match in any case, as the vendor's did: its own syncLead sample sends
 * `default` for the `Default` workspace the same page says a call must name when workspaces are
 * off. The default partition's own name stands for it; WORKSPACE_PARTITIONS names the others
 * (and may name the default partition's too). A name neither knows is a partition of that name.
 */
export function workspacePartitions(
  configured: Readonly<Record<string, string>>,
  defaultPartition: string,
): (workspace: string) => string {
  // A Map, not an object's properties: a workspace named constructor or __proto__ is a name.
  const byLower = new Map<string, string>([[defaultPartition.toLowerCase(), defaultPartition]]);
  for (const [workspace, partition] of Object.entries(configured))
    byLower.set(workspace.toLowerCase(), partition);
  return (workspace) => byLower.get(workspace.toLowerCase()) ?? workspace;
}
