/**
 * The cluster operations of the reference page (shared/reference/hugr-clustered-deployment.md),
 * copied unchanged: tests run exactly these documents through a work node.
 */
export const CLUSTER_NODES_VIEW = `query {
  core {
    cluster {
      cluster_nodes {
        name
        version
        url
        ready
        last_seen
        error
      }
    }
  }
}`;

export const REGISTERED_STORAGES_VIEW = `query {
  core {
    cluster {
      registered_storages {
        node
        name
        type
        scope
        Parameters
      }
    }
  }
}`;

export const NODES_FUNCTION = `query {
  function {
    core {
      cluster {
        nodes {
          name
          version
          url
          ready
          last_seen
          error
        }
      }
    }
  }
}`;

export const STORAGES_FUNCTION = `query {
  function {
    core {
      cluster {
        storages {
          node
          name
          type
          scope
          Parameters
        }
      }
    }
  }
}`;

export const DATA_SOURCE_STATUS = (name: string): string => `query {
  function {
    core {
      cluster {
        data_source_status(name: "${name}") {
          node
          status
          error
        }
      }
    }
  }
}`;

export const LOAD_DATA_SOURCE = (name: string): string => `mutation {
  function {
    core {
      cluster {
        load_data_source(name: "${name}") {
          success
          message
        }
      }
    }
  }
}`;

export const UNLOAD_DATA_SOURCE = (name: string): string => `mutation {
  function {
    core {
      cluster {
        unload_data_source(name: "${name}") {
          success
          message
        }
      }
    }
  }
}`;

export const REGISTER_STORAGE = `mutation {
  function {
    core {
      cluster {
        register_object_storage(
          type: "s3"
          name: "minio-storage"
          scope: "my-bucket"
          key: "minioadmin"
          secret: "minioadmin"
          region: "us-east-1"
          endpoint: "http://minio:9000"
          use_ssl: false
          url_style: "path"
          url_compatibility: false
        ) {
          success
          message
        }
      }
    }
  }
}`;

export const REGISTER_STORAGE_WITH_VARIABLES = `mutation RegisterStorage(
  $type: String!
  $name: String!
  $scope: String!
  $key: String!
  $secret: String!
  $endpoint: String!
  $region: String
  $use_ssl: Boolean
  $url_style: String!
) {
  function {
    core {
      cluster {
        register_object_storage(
          type: $type
          name: $name
          scope: $scope
          key: $key
          secret: $secret
          endpoint: $endpoint
          region: $region
          use_ssl: $use_ssl
          url_style: $url_style
        ) {
          success
          message
        }
      }
    }
  }
}`;

export const REGISTER_STORAGE_VARIABLES = {
  type: "s3",
  name: "minio-storage",
  scope: "my-bucket",
  key: "minioadmin",
  secret: "minioadmin",
  endpoint: "http://minio:9000",
  region: "us-east-1",
  use_ssl: false,
  url_style: "path",
};

export const UNREGISTER_STORAGE = `mutation {
  function {
    core {
      cluster {
        unregister_object_storage(name: "minio-storage") {
          success
          message
        }
      }
    }
  }
}`;
