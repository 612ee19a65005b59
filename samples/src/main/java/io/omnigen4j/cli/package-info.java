/**
 * The {@code omnigen} command line: {@link io.omnigen4j.cli.OmniGenCli} with the {@code generate}, {@code export} and
 * {@code info} subcommands; without {@code --model} it uses {@link io.omnigen4j.export.demo.DemoModel}.
 */
package io.omnigen4j.cli;
