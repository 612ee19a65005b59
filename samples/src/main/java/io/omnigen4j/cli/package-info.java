/**
 * The {@code omnigen} command line: {@link io.omnigen4j.cli.OmniGenCli} with the {@code generate}, {@code export} and
 * {@code info} subcommands, and the offline {@link io.omnigen4j.cli.DemoModel}.
 */
package io.omnigen4j.cli;
