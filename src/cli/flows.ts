import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { flowToMermaid } from '../flows/graph.js';
import { loadFlows } from '../flows/loader.js';
import type { Lang } from '../text/lang.js';
import { langOption } from './args.js';
import { fail } from './shared.js';

export function registerFlows(program: Command): void {
  const flows = program.command('flows').description('look at the conversation flows');
  flows
    .command('graph')
    .description('print a Mermaid flowchart of a flow')
    .argument('<flow>', 'the flow id, e.g. labor')
    .option(
      '--out <file>',
      'write it to a file; a .md file gets a ```mermaid block that GitHub shows as a diagram',
    )
    .addOption(langOption('the language of the texts in the diagram').default('es'))
    .action((id: string, opts: { out?: string; lang: Lang }) => {
      try {
        const config = loadConfig();
        const { flows: all } = loadFlows(config.paths.flows, { root: config.paths.root });
        const flow = all.get(id);
        if (!flow) {
          process.stderr.write(`There is no flow "${id}". Flows: ${[...all.keys()].join(', ')}\n`);
          process.exit(1);
        }
        const chart = flowToMermaid(flow, opts.lang);
        if (!opts.out) {
          process.stdout.write(chart);
          return;
        }
        writeFileSync(
          opts.out,
          opts.out.endsWith('.md') ? `# Flow "${id}"\n\n\`\`\`mermaid\n${chart}\`\`\`\n` : chart,
        );
        process.stdout.write(`wrote ${opts.out}\n`);
      } catch (e) {
        fail(e);
      }
    });
  flows
    .command('list')
    .description('list the flows and their descriptions')
    .action(() => {
      try {
        const config = loadConfig();
        const { flows: all } = loadFlows(config.paths.flows, { root: config.paths.root });
        for (const f of all.values()) process.stdout.write(`${f.id.padEnd(14)} ${f.description ?? ''}\n`);
      } catch (e) {
        fail(e);
      }
    });
}
