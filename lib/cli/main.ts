import { Command, CommanderError } from 'commander';
import { describeError, isAppError } from '@/lib/errors';
import { version } from '@/lib/version';
import { registerActivityCommand } from './commands/activity';
import { registerAdmissionCommands } from './commands/admission';
import { registerAnomalyCommands } from './commands/anomalies';
import { registerCheckCommand } from './commands/check';
import { registerCollectCommands, registerImportCommand } from './commands/collect';
import { registerCredentialCommands } from './commands/credentials';
import { registerDbCommands } from './commands/db';
import { registerExceptionCommands } from './commands/exceptions';
import { registerFindingsCommand } from './commands/findings';
import { registerFindingsQueueCommands } from './commands/findings-queue';
import { registerFixCommand } from './commands/fix';
import { registerWhatIfCommand } from './commands/what-if';
import { registerIngestStatusCommand } from './commands/ingest-status';
import { registerOverviewCommand } from './commands/overview';
import { registerRuntimeCommands } from './commands/runtime';
import { registerInventoryCommands } from './commands/inventory';
import { registerOwnershipCommands } from './commands/ownership';
import { registerPathsCommand } from './commands/paths';
import { registerRbacCommands } from './commands/rbac';
import { registerRiskCommands } from './commands/risk';
import { registerTokenCommands } from './commands/tokens';
import { registerTrailCommands } from './commands/trail';
import { registerUserCommands } from './commands/users';
import { registerExportCommand } from './commands/export';
import { registerDemoCommand, registerWebCommands } from './commands/web';
import { loadDemoData } from '@/lib/demo/load';

/** Builds the `nhi` command tree. Later capabilities add their subcommands here. */
export function buildProgram(): Command {
  const program = new Command('nhi')
    .description('Inventory, ownership and RBAC reach of the non-human identities of Kubernetes clusters.')
    .version(version, '-V, --version')
    .showHelpAfterError()
    // Options belong to the command they follow (`nhi anomalies show ID --json` is show's --json).
    .enablePositionalOptions()
    .exitOverride();
  registerDbCommands(program);
  registerCollectCommands(program);
  registerImportCommand(program);
  registerInventoryCommands(program);
  registerCredentialCommands(program);
  registerFindingsCommand(program);
  registerFindingsQueueCommands(program);
  registerCheckCommand(program);
  registerAdmissionCommands(program);
  registerExceptionCommands(program);
  registerRiskCommands(program);
  registerOwnershipCommands(program);
  registerRuntimeCommands(program);
  registerActivityCommand(program);
  registerFixCommand(program);
  registerWhatIfCommand(program);
  registerAnomalyCommands(program);
  registerUserCommands(program, registerTokenCommands(program));
  registerRbacCommands(program);
  registerPathsCommand(program);
  registerIngestStatusCommand(program);
  registerOverviewCommand(program);
  registerTrailCommands(program);
  registerExportCommand(program);
  registerWebCommands(program);
  registerDemoCommand(program, loadDemoData);
  return program;
}

/**
 * Runs the CLI; returns the process exit code. Errors print one clear line, not a stack (NHI_DEBUG=1 adds
 * it): input a person can correct exits 2, anything else 1.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`nhi: ${describeError(e)}\n`);
    if (process.env.NHI_DEBUG) console.error(e);
    return isAppError(e) ? e.exitCode : 1;
  }
}
