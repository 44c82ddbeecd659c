// Reads the objects `kubectl kustomize` rendered (YAML on stdin) into the model classes their
// operators use: Strimzi's io.strimzi:api for Kafka, KafkaNodePool, KafkaTopic and KafkaUser, and
// fabric8's Kubernetes model for the built-in kinds. A wrong type or enum value fails to bind; a
// field the model does not know lands in additionalProperties, which is reported as an error; a
// field the model marks @JsonProperty(required = true) (Strimzi's CRDs are generated from those) must be set.
// Prints one line per problem and exits 1 when there is any. Run with `java -cp <classpath> StrimziValidator.java`.
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

public class StrimziValidator {
  static final Map<String, String> MODELS = Map.ofEntries(
      Map.entry("kafka.strimzi.io/v1beta2/Kafka", "io.strimzi.api.kafka.model.kafka.Kafka"),
      Map.entry("kafka.strimzi.io/v1beta2/KafkaNodePool", "io.strimzi.api.kafka.model.nodepool.KafkaNodePool"),
      Map.entry("kafka.strimzi.io/v1beta2/KafkaTopic", "io.strimzi.api.kafka.model.topic.KafkaTopic"),
      Map.entry("kafka.strimzi.io/v1beta2/KafkaUser", "io.strimzi.api.kafka.model.user.KafkaUser"),
      Map.entry("v1/Namespace", "io.fabric8.kubernetes.api.model.Namespace"),
      Map.entry("v1/ConfigMap", "io.fabric8.kubernetes.api.model.ConfigMap"),
      Map.entry("v1/Service", "io.fabric8.kubernetes.api.model.Service"),
      Map.entry("apps/v1/Deployment", "io.fabric8.kubernetes.api.model.apps.Deployment"),
      Map.entry("batch/v1/Job", "io.fabric8.kubernetes.api.model.batch.v1.Job"),
      Map.entry("policy/v1/PodDisruptionBudget", "io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget"),
      Map.entry("autoscaling/v2/HorizontalPodAutoscaler", "io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler"));

  public static void main(String[] args) throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    List<String> problems = new ArrayList<>();
    int checked = 0;
    var parser = new YAMLFactory().createParser(System.in);
    for (JsonNode doc : new YAMLMapper().readValues(parser, JsonNode.class).readAll()) {
      if (doc == null || doc.isNull() || doc.isMissingNode()) continue;
      String key = doc.path("apiVersion").asText() + "/" + doc.path("kind").asText();
      String where = key + " " + doc.path("metadata").path("name").asText();
      String model = MODELS.get(key);
      if (model == null) {
        problems.add(where + ": no model for this apiVersion and kind");
        continue;
      }
      try {
        Object bound = mapper.treeToValue(doc, Class.forName(model));
        unknownFields(bound, "", problems, where, new IdentityHashMap<>());
        checked++;
      } catch (Exception e) {
        problems.add(where + ": " + e.getMessage().split("\n")[0]);
      }
    }
    problems.forEach(System.out::println);
    System.out.println("checked " + checked + " objects, " + problems.size() + " problems");
    System.exit(problems.isEmpty() ? 0 : 1);
  }

  static void unknownFields(Object value, String path, List<String> problems, String where, IdentityHashMap<Object, Boolean> seen) throws Exception {
    if (value == null || seen.containsKey(value)) return;
    if (value instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) unknownFields(item, path + "[" + i++ + "]", problems, where, seen);
      return;
    }
    if (value instanceof Map<?, ?> map) {
      for (var entry : map.entrySet()) unknownFields(entry.getValue(), path + "." + entry.getKey(), problems, where, seen);
      return;
    }
    String pkg = value.getClass().getPackageName();
    if (!pkg.startsWith("io.strimzi.") && !pkg.startsWith("io.fabric8.")) return;
    seen.put(value, true);
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get")) continue;
      if (getter.getName().equals("getClass")) continue;
      Object child;
      try {
        child = getter.invoke(value);
      } catch (Exception e) {
        continue;
      }
      if (getter.getName().equals("getAdditionalProperties") && child instanceof Map<?, ?> extra) {
        for (Object name : extra.keySet()) problems.add(where + ": unknown field " + (path.isEmpty() ? "" : path.substring(1) + ".") + name);
        continue;
      }
      String field = Character.toLowerCase(getter.getName().charAt(3)) + getter.getName().substring(4);
      JsonProperty property = getter.getAnnotation(JsonProperty.class);
      if (child == null && property != null && property.required()) {
        problems.add(where + ": missing required field " + (path.isEmpty() ? "" : path.substring(1) + ".") + field);
      }
      unknownFields(child, path + "." + field, problems, where, seen);
    }
  }
}
