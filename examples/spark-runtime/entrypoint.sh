#!/bin/bash
# The entrypoint Spark on Kubernetes relies on, the contract of apache/spark-docker's images:
# spark-submit makes the driver pod run the image with `driver ARGS...` and each executor pod with
# `executor` and its SPARK_* environment. Anything else is run as given. tini, PID 1, runs this.
set -eo pipefail

# A uid with no passwd entry (OpenShift's random ones): give it one through nss_wrapper, as Java
# and Hadoop look the user up.
add_passwd_entry() {
  local uid gid wrapper
  uid=$(id -u)
  getent passwd "$uid" >/dev/null && return
  gid=$(id -g)
  for wrapper in /usr/lib/*/libnss_wrapper.so /usr/lib/libnss_wrapper.so; do
    [ -s "$wrapper" ] || continue
    NSS_WRAPPER_PASSWD=$(mktemp)
    NSS_WRAPPER_GROUP=$(mktemp)
    printf 'spark:x:%s:%s:%s:%s:/bin/false\n' "$uid" "$gid" "${SPARK_USER_NAME:-anonymous uid}" \
      "$SPARK_HOME" >"$NSS_WRAPPER_PASSWD"
    printf 'spark:x:%s:\n' "$gid" >"$NSS_WRAPPER_GROUP"
    export LD_PRELOAD="$wrapper" NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP
    return
  done
}

# Started as root (a pod's securityContext can ask for it): Spark still runs as the spark user.
as_spark() {
  if [ "$(id -u)" -eq 0 ]; then
    exec setpriv --reuid=spark --regid=spark --init-groups -- "$@"
  fi
  exec "$@"
}

case "${1-}" in
  driver)
    shift
    add_passwd_entry
    # The pod's IP, from the pod spec; unset outside Kubernetes, where Spark picks the address.
    bind=()
    if [ -n "${SPARK_DRIVER_BIND_ADDRESS-}" ]; then
      bind=(--conf "spark.driver.bindAddress=$SPARK_DRIVER_BIND_ADDRESS"
        --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=$SPARK_DRIVER_BIND_ADDRESS")
    fi
    as_spark "$SPARK_HOME/bin/spark-submit" "${bind[@]}" --deploy-mode client "$@"
    ;;
  executor)
    shift
    add_passwd_entry
    # The configuration folders Spark mounts (SPARK_CONF_DIR, HADOOP_CONF_DIR) and the extra class
    # path it sets (SPARK_CLASSPATH) come before the jars, the work dir last, as in apache's images.
    classpath="${HADOOP_CONF_DIR:+$HADOOP_CONF_DIR:}${SPARK_CONF_DIR:-$SPARK_HOME/conf}"
    classpath="$classpath:${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_HOME/jars/*"
    classpath="$classpath${SPARK_EXTRA_CLASSPATH:+:$SPARK_EXTRA_CLASSPATH}${SPARK_DIST_CLASSPATH:+:$SPARK_DIST_CLASSPATH}:$PWD"
    # SPARK_JAVA_OPT_0, _1, ...: the JVM options spark-submit hands the executors, in their order.
    java_opts=()
    while read -r name; do
      java_opts+=("${!name}")
    done < <(compgen -v SPARK_JAVA_OPT_ | sort -t _ -k 4 -n)
    as_spark "${JAVA_HOME}/bin/java" "${java_opts[@]}" \
      -Xms"$SPARK_EXECUTOR_MEMORY" -Xmx"$SPARK_EXECUTOR_MEMORY" \
      -cp "$classpath" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" \
      --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" \
      --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" \
      --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" \
      --podName "${SPARK_EXECUTOR_POD_NAME-}"
    ;;
  *)
    exec "$@"
    ;;
esac
