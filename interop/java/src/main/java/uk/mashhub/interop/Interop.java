package uk.mashhub.interop;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;

/**
 * The reference Avro implementation against the hub's wire format, as an agency's Java developer
 * would use it: the self-contained schemas of {@code mash schemas export DIR}, {@code
 * BinaryMessageDecoder} with every version registered, {@code BinaryMessageEncoder}.
 *
 * <pre>
 * fingerprints SCHEMAS              label, parsingFingerprint64, its 8 bytes little-endian (hex)
 * decode SCHEMAS SAMPLES            per SAMPLES/&lt;topic&gt;.frames: messages, decoded, re-encoded
 *                                   byte for byte, and the writer versions seen
 * encode SCHEMAS IN OUT            IN/&lt;label&gt;.json (Avro JSON) to OUT/&lt;label&gt;.bin
 * </pre>
 *
 * A .frames file holds messages back to back, each behind its 4-byte big-endian length.
 */
public final class Interop {

  private static final Pattern VERSIONED = Pattern.compile("(.+)\\.v(\\d+)\\.avsc");
  private static final int SHOWN_FAILURES = 3;

  /** One exported schema file. */
  record Version(String label, int version, Schema schema) {}

  /** One contract: every version of one record type, oldest first. */
  record Contract(String fullName, List<Version> versions) {
    Version latest() {
      return versions.get(versions.size() - 1);
    }
  }

  private Interop() {}

  public static void main(String[] args) throws IOException {
    String command = args.length > 0 ? args[0] : "";
    switch (command) {
      case "fingerprints" -> fingerprints(load(Path.of(args[1])));
      case "decode" -> decode(load(Path.of(args[1])), Path.of(args[2]));
      case "encode" -> encode(load(Path.of(args[1])), Path.of(args[2]), Path.of(args[3]));
      default -> {
        System.err.println("usage: Interop fingerprints|decode|encode SCHEMAS [IN [OUT]]");
        System.exit(2);
      }
    }
  }

  /** Every exported schema, grouped by record type; each file parsed on its own. */
  static Map<String, Contract> load(Path dir) throws IOException {
    Map<String, List<Version>> byName = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.sorted().toList()) {
        Matcher m = VERSIONED.matcher(file.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        Schema schema = new Schema.Parser().parse(file.toFile());
        String label = file.getFileName().toString().replaceFirst("\\.avsc$", "");
        byName
            .computeIfAbsent(schema.getFullName(), k -> new ArrayList<>())
            .add(new Version(label, Integer.parseInt(m.group(2)), schema));
      }
    }
    Map<String, Contract> contracts = new LinkedHashMap<>();
    byName.forEach(
        (name, versions) -> {
          versions.sort(Comparator.comparingInt(Version::version));
          contracts.put(name, new Contract(name, versions));
        });
    return contracts;
  }

  static void fingerprints(Map<String, Contract> contracts) {
    for (Contract contract : contracts.values()) {
      for (Version v : contract.versions()) {
        long fp = SchemaNormalization.parsingFingerprint64(v.schema());
        byte[] le = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fp).array();
        System.out.println(v.label() + "\t" + fp + "\t" + HexFormat.of().formatHex(le));
      }
    }
  }

  /** What an agency's Java system does to publish an event: single-object encoding. */
  static byte[] singleObject(Schema schema, GenericRecord event) throws IOException {
    BinaryMessageEncoder<GenericRecord> encoder =
        new BinaryMessageEncoder<>(GenericData.get(), schema);
    ByteBuffer framed = encoder.encode(event);
    byte[] value = new byte[framed.remaining()];
    framed.get(value);
    return value;
  }

  /** What a Java consumer of a topic does: read into the latest version, any version written. */
  static BinaryMessageDecoder<GenericRecord> consumerDecoder(Contract contract) {
    BinaryMessageDecoder<GenericRecord> decoder =
        new BinaryMessageDecoder<>(GenericData.get(), contract.latest().schema());
    contract.versions().forEach(v -> decoder.addSchema(v.schema()));
    return decoder;
  }

  static void decode(Map<String, Contract> contracts, Path samples) throws IOException {
    List<BinaryMessageDecoder<GenericRecord>> consumers = new ArrayList<>();
    Map<Version, BinaryMessageDecoder<GenericRecord>> exact = new LinkedHashMap<>();
    for (Contract contract : contracts.values()) {
      consumers.add(consumerDecoder(contract));
      for (Version v : contract.versions()) {
        exact.put(v, new BinaryMessageDecoder<>(GenericData.get(), v.schema()));
      }
    }
    try (Stream<Path> files = Files.list(samples)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".frames")).sorted().toList()) {
        String topic = file.getFileName().toString().replaceFirst("\\.frames$", "");
        decodeTopic(topic, readFrames(file), consumers, exact);
      }
    }
  }

  private static void decodeTopic(
      String topic,
      List<byte[]> frames,
      List<BinaryMessageDecoder<GenericRecord>> consumers,
      Map<Version, BinaryMessageDecoder<GenericRecord>> exact) {
    int decoded = 0;
    int identical = 0;
    int failures = 0;
    Map<String, Integer> writers = new TreeMap<>();
    for (byte[] frame : frames) {
      try {
        if (consumed(frame, consumers)) {
          decoded++;
        }
        Version writer = writerOf(frame, exact);
        if (writer != null) {
          writers.merge(writer.label(), 1, Integer::sum);
          GenericRecord datum = exact.get(writer).decode(frame);
          if (Arrays.equals(singleObject(writer.schema(), datum), frame)) {
            identical++;
          }
        }
      } catch (IOException | RuntimeException e) {
        if (failures++ < SHOWN_FAILURES) {
          System.err.println(topic + ": " + e);
        }
      }
    }
    StringBuilder seen = new StringBuilder();
    writers.forEach(
        (label, n) -> seen.append(seen.isEmpty() ? "" : ",").append(label).append('=').append(n));
    System.out.println(
        topic + "\t" + frames.size() + "\t" + decoded + "\t" + identical + "\t" + seen);
  }

  /** True when some contract's consumer decoder resolves the frame's fingerprint and reads it. */
  private static boolean consumed(
      byte[] frame, List<BinaryMessageDecoder<GenericRecord>> consumers) throws IOException {
    for (BinaryMessageDecoder<GenericRecord> decoder : consumers) {
      try {
        decoder.decode(frame);
        return true;
      } catch (MissingSchemaException e) {
        // another contract's fingerprint: try the next one
      }
    }
    throw new MissingSchemaException("no exported schema has this message's fingerprint");
  }

  /** The version a frame was written with: the one whose own decoder knows its fingerprint. */
  private static Version writerOf(
      byte[] frame, Map<Version, BinaryMessageDecoder<GenericRecord>> exact) throws IOException {
    for (Map.Entry<Version, BinaryMessageDecoder<GenericRecord>> entry : exact.entrySet()) {
      try {
        entry.getValue().decode(frame);
        return entry.getKey();
      } catch (MissingSchemaException e) {
        // written with another version
      }
    }
    return null;
  }

  static void encode(Map<String, Contract> contracts, Path inputs, Path outputs)
      throws IOException {
    Map<String, Version> byLabel = new TreeMap<>();
    contracts.values().forEach(c -> c.versions().forEach(v -> byLabel.put(v.label(), v)));
    Files.createDirectories(outputs);
    try (Stream<Path> files = Files.list(inputs)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
        String label = file.getFileName().toString().replaceFirst("\\.json$", "");
        Version version = byLabel.get(label);
        if (version == null) {
          throw new IllegalArgumentException("no exported schema " + label + ".avsc");
        }
        Schema schema = version.schema();
        GenericRecord event =
            new GenericDatumReader<GenericRecord>(schema)
                .read(null, DecoderFactory.get().jsonDecoder(schema, Files.readString(file)));
        byte[] value = singleObject(schema, event);
        Files.write(outputs.resolve(label + ".bin"), value);
        System.out.println(label + "\t" + value.length);
      }
    }
  }

  static List<byte[]> readFrames(Path file) throws IOException {
    List<byte[]> frames = new ArrayList<>();
    try (InputStream in = Files.newInputStream(file);
        DataInputStream data = new DataInputStream(in)) {
      while (true) {
        int length;
        try {
          length = data.readInt();
        } catch (EOFException end) {
          return frames;
        }
        byte[] frame = new byte[length];
        data.readFully(frame);
        frames.add(frame);
      }
    }
  }
}
