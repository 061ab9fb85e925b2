/** Plain-text reports of disk usage. */
import { formatSection, renderTable, slugify } from './format';

/** One folder's files and their sizes in bytes. */
export interface FolderUsage {
  name: string;
  sizes: number[];
}

/** Builds the plain-text disk usage report of some folders: a summary section and a table. */
export function diskUsageReport(folders: FolderUsage[]): string {
  const rows = folders.map((folder) => [folder.name, String(folder.sizes.length)]);
  const summary = formatSection('disk usage', `${folders.length} folders`, folders.flatMap((folder) => folder.sizes));
  return `${summary}\n\n${renderTable(rows)}`;
}

/** The anchor of a report section, for links between sections. */
export function sectionAnchor(title: string): string {
  return `#${slugify(title)}`;
}
