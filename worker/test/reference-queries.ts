/**
 * The "Core Module Operations" of the reference page (shared/reference/hugr-clustered-deployment.md),
 * copied unchanged: tests run exactly these documents.
 */
export const ADD_DATA_SOURCE = `mutation addDataSource($data: data_sources_mut_input_data!) {
  core {
    insert_data_sources(data: $data) {
      name
      type
      description
      path
      catalogs {
        name
        type
        path
      }
    }
  }
}`;

export const ADD_DATA_SOURCE_VARIABLES = {
  data: {
    name: "analytics",
    type: "postgres",
    prefix: "an",
    description: "Analytics database",
    read_only: false,
    as_module: true,
    path: "postgres://user:password@postgres:5432/analytics",
    catalogs: [
      {
        name: "analytics_schema",
        type: "uri",
        description: "Analytics schema definitions",
        path: "/workspace/analytics/schema",
      },
    ],
  },
};

export const LIST_DATA_SOURCES = `query {
  core {
    data_sources {
      name
      type
      description
      prefix
      path
      disabled
      catalogs {
        name
        type
        path
      }
    }
  }
}`;

export const UPDATE_DATA_SOURCE = `mutation updateDataSource($name: String!, $data: data_sources_mut_data!) {
  core {
    update_data_sources(filter: {name: {eq: $name}}, data: $data) {
      name
      description
      path
      disabled
    }
  }
}`;

export const DELETE_DATA_SOURCE = `mutation deleteDataSource($name: String!) {
  core {
    delete_data_sources(filter: {name: {eq: $name}}) {
      name
    }
  }
}`;

export const LOAD_DATA_SOURCE = `mutation {
  function {
    core {
      load_data_source(name: "analytics") {
        success
        message
      }
    }
  }
}`;

export const UNLOAD_DATA_SOURCE = `mutation {
  function {
    core {
      unload_data_source(name: "analytics") {
        success
        message
      }
    }
  }
}`;

export const DATA_SOURCE_STATUS = `query {
  function {
    core {
      data_source_status(name: "analytics")
    }
  }
}`;
