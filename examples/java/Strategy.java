// A minimal Sluice strategy outside Python: plain Kafka clients and JSON, nothing of Sluice's.
//
// It subscribes to a symbol's quotes, waits for a two-sided one, publishes a market BUY signal
// as JSON valid against proto/schemas/signal.json, then reads sluice.orders.events.v1 until
// its order's final event, printing each step as one line. Run it with the jars the project
// installs for its Kafka broker (make kafka), as a single-file program (Java 17+):
//
//   java -cp 'deploy/kafka/lib/*' examples/java/Strategy.java localhost:9092 AAPL 1
//
// The contract it follows (docs/events.md): signals are keyed by strategy_id, subscriptions by
// the instrument key, decimals are JSON strings, and an order's events carry its
// client_order_id = "sl-" + the first 24 hex digits of SHA-256(strategy_id US signal_id).

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class Strategy {
    static final String SIGNALS = "sluice.signals.v1";
    static final String SUBSCRIPTIONS = "sluice.md.subscriptions.v1";
    static final String QUOTES = "sluice.md.quotes.v1";
    static final String EVENTS = "sluice.orders.events.v1";
    static final Set<String> FINAL =
            Set.of("order_filled", "order_cancelled", "order_rejected", "order_broker_rejected",
                    "order_expired");
    static final ObjectMapper JSON = new ObjectMapper();

    public static void main(String[] args) throws Exception {
        String bootstrap = args.length > 0 ? args[0] : "localhost:9092";
        String symbol = args.length > 1 ? args[1] : "AAPL";
        String quantity = args.length > 2 ? args[2] : "1";
        String strategyId = args.length > 3 ? args[3] : "example-java";
        Instant deadline = Instant.now().plusSeconds(60);

        try (KafkaProducer<String, String> producer = producer(bootstrap);
                KafkaConsumer<String, String> consumer = consumer(bootstrap)) {
            // Read from the current end, before publishing, so no answer can be missed.
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(QUOTES, EVENTS)) {
                for (PartitionInfo info : consumer.partitionsFor(topic)) {
                    partitions.add(new TopicPartition(topic, info.partition()));
                }
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);

            ObjectNode instrument = JSON.createObjectNode()
                    .put("symbol", symbol).put("sec_type", "STK")
                    .put("exchange", "SMART").put("currency", "USD");
            String instrumentKey = "STK:" + symbol + ":SMART:USD";
            ObjectNode subscribe = JSON.createObjectNode()
                    .put("type", "md_subscribe").put("subscriber_id", strategyId)
                    .put("ts", Instant.now().toString());
            subscribe.set("instrument", instrument);
            send(producer, SUBSCRIPTIONS, instrumentKey, subscribe);

            String signalId = UUID.randomUUID().toString();
            String clientOrderId = clientOrderId(strategyId, signalId);
            boolean signalled = false;
            while (Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode event = JSON.readTree(record.value());
                    String type = event.path("type").asText();
                    if (!signalled && record.topic().equals(QUOTES) && type.equals("quote")
                            && event.path("instrument").path("symbol").asText().equals(symbol)
                            && event.hasNonNull("bid") && event.hasNonNull("ask")) {
                        System.out.println("quote " + event);
                        ObjectNode signal = JSON.createObjectNode()
                                .put("type", "signal").put("signal_id", signalId)
                                .put("strategy_id", strategyId).put("symbol", symbol)
                                .put("side", "BUY").put("quantity", quantity)
                                .put("order_type", "MKT").put("created_at", Instant.now().toString());
                        send(producer, SIGNALS, strategyId, signal);
                        System.out.println("signal " + signal);
                        signalled = true;
                    } else if (record.topic().equals(EVENTS)
                            && event.path("client_order_id").asText().equals(clientOrderId)) {
                        System.out.println(type + " " + event);
                        if (FINAL.contains(type)) {
                            ObjectNode unsubscribe = subscribe.deepCopy().put("type", "md_unsubscribe");
                            send(producer, SUBSCRIPTIONS, instrumentKey, unsubscribe);
                            System.exit(type.equals("order_filled") ? 0 : 1);
                        }
                    }
                }
            }
        }
        System.err.println("no outcome within 60s");
        System.exit(1);
    }

    static String clientOrderId(String strategyId, String signalId) throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256")
                .digest((strategyId + "\u001f" + signalId).getBytes(StandardCharsets.UTF_8));
        return "sl-" + HexFormat.of().formatHex(digest).substring(0, 24);
    }

    static void send(KafkaProducer<String, String> producer, String topic, String key, JsonNode event)
            throws Exception {
        ProducerRecord<String, String> record = new ProducerRecord<>(topic, key, event.toString());
        record.headers().add("sluice-event-type", event.path("type").asText().getBytes(StandardCharsets.UTF_8));
        record.headers().add("sluice-schema-version", "1".getBytes(StandardCharsets.UTF_8));
        record.headers().add("sluice-producer", "example-java".getBytes(StandardCharsets.UTF_8));
        record.headers().add("sluice-event-id", UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
        producer.send(record).get(); // acks=all: durable before we go on
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("acks", "all");
        props.put("enable.idempotence", "true");
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    static KafkaConsumer<String, String> consumer(String bootstrap) {
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("isolation.level", "read_committed"); // the services write in transactions
        props.put("enable.auto.commit", "false");
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }
}
