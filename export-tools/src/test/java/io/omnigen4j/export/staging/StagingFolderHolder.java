package io.omnigen4j.export.staging;

import java.nio.file.Path;

/**
 * Test helper run in a child JVM: creates a staging folder for the target given as the first argument, prints its
 * path and holds it (locked) until killed, like an export that is still running or is killed mid-way.
 */
public final class StagingFolderHolder {

    private StagingFolderHolder() {
    }

    /**
     * Creates and holds the folder.
     *
     * @param args the target folder
     * @throws Exception when it cannot be created
     */
    public static void main(String[] args) throws Exception {
        StagingFolder s = StagingFolder.create(Path.of(args[0]), "export");
        System.out.println(s.path());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
