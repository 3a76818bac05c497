import Docker from 'dockerode';

/**
 * Whether tests that need a Docker daemon can run. In CI (HABITAT_REQUIRE_DOCKER=1) a missing daemon is a failure;
 * on a laptop without Docker those tests are skipped with a loud message.
 */
export async function dockerForTests(suite: string): Promise<Docker | undefined> {
  const docker = new Docker();
  try {
    await docker.ping();
    return docker;
  } catch (error) {
    if (process.env.HABITAT_REQUIRE_DOCKER === '1') {
      throw new Error(
        `${suite}: Docker is required (HABITAT_REQUIRE_DOCKER=1) but the daemon is not reachable: ${String(error)}`,
        { cause: error },
      );
    }
    console.warn(
      `\n*** ${suite}: no Docker daemon reachable, these tests are SKIPPED (start dockerd to run them) ***\n`,
    );
    return undefined;
  }
}
